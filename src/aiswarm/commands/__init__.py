"""What each `aiswarm` subcommand does, apart from printing (cli.py prints)."""
