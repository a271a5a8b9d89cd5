# syntax=docker/dockerfile:1
# ArkID image: one image for every role (web, worker, beat, ldap, migrate), chosen by the
# first argument (docker/entrypoint.sh). Two stages: dependencies are installed into a
# virtualenv in the build stage and only that virtualenv and the source are copied into a
# slim runtime, which runs as the unprivileged uid 10001 and holds no compiler or secret.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt
WORKDIR /app
COPY . /app
# Static files are collected at build time; the throwaway key below exists only for this
# step (settings refuse to load without one) and is not kept in the image.
RUN ARKID_SECRET_KEY="$(/opt/venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ARKID_VAR_DIR=/tmp/build-var ARKID_STATIC_ROOT=/app/static \
    /opt/venv/bin/python manage.py collectstatic --noinput --verbosity 0 \
 && rm -rf /tmp/build-var \
 && /opt/venv/bin/python -m compileall -q /app/apps /app/arkid

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="ArkID" \
      org.opencontainers.image.description="ArkID identity provider (OIDC, LDAP, DingTalk)"
RUN groupadd --gid 10001 arkid \
 && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin arkid \
 && mkdir -p /var/lib/arkid /tmp/metrics \
 && chown 10001:10001 /var/lib/arkid /tmp/metrics
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# The heartbeat file is per container (/tmp), never on the shared volume: with several
# worker containers one stuck worker must not hide behind another's heartbeat.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ARKID_ENV=production \
    ARKID_VAR_DIR=/var/lib/arkid \
    ARKID_STATIC_ROOT=/app/static \
    ARKID_HOST=0.0.0.0 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    ARKID_WORKER_HEARTBEAT_FILE=/tmp/arkid-worker-heartbeat
WORKDIR /app
USER 10001:10001
VOLUME ["/var/lib/arkid"]
EXPOSE 8000 10389 10636
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
