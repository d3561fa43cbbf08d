# Slim, non-root image built from the same pinned lock the tests ran against.
FROM python:3.11-slim AS build
WORKDIR /app
COPY requirements/lock.txt requirements/lock.txt
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/lock.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps --no-build-isolation .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 aiswarm \
 && mkdir -p /app/state \
 && chown aiswarm:aiswarm /app/state \
 && chmod 700 /app/state
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=aiswarm:aiswarm config ./config
COPY --chown=aiswarm:aiswarm mandates ./mandates
COPY --chown=aiswarm:aiswarm backtest_data ./backtest_data
USER aiswarm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    AIS_API__HOST=0.0.0.0
EXPOSE 8000
# Secrets come from the environment or mounted files (AIS_APPROVAL_SECRET_FILE, AIS_API_KEY_FILE).
ENTRYPOINT ["aiswarm"]
CMD ["run", "--mode", "paper"]
