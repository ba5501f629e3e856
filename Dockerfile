# wikipoll in a container: the pinned environment of requirements.lock, then the package.
#
#   docker build -t wikipoll .
#   docker run --rm -v "$PWD/raw:/data/raw:ro" -v wikipoll-warehouse:/data/warehouse wikipoll
#
# By default it runs `wikipoll run` on /data/raw into /data/warehouse/wikipoll.duckdb (both
# volumes; without a raw volume it loads the bundled sample). Any other wikipoll command, or a
# Prefect worker, is the command given after the image name: docs/deploy.md, "The container".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false

# No root at run time: the data volumes belong to this user (uid 1000).
RUN useradd --create-home --uid 1000 wikipoll

WORKDIR /opt/wikipoll
# The dependencies first, in their own layer: a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install -r requirements.lock
# The package, installed in place (editable, as `make install` does): a worker's flow runs load
# flows/run/flow.py from here (prefect.yaml's entrypoint).
COPY pyproject.toml README.md prefect.yaml ./
COPY flows/ flows/
COPY schemas/ schemas/
RUN pip install --no-deps -e . \
    && wikipoll --help > /dev/null

# The data lives apart from the code: raw articles in, the warehouse out.
COPY raw/ /data/raw/
RUN mkdir -p /data/warehouse && chown -R wikipoll:wikipoll /data
VOLUME ["/data/raw", "/data/warehouse"]

USER wikipoll
WORKDIR /data
# Relative to /data: wikipoll's defaults are raw/ and warehouse/wikipoll.duckdb.
CMD ["wikipoll", "run", "--raw", "raw", "--warehouse", "warehouse/wikipoll.duckdb"]
