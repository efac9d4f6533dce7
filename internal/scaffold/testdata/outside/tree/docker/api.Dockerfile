# built from the repository root: docker build -f docker/api.Dockerfile .
ARG DOCKER_REPO
ARG DOCKER_TAG
FROM ${DOCKER_REPO}/base:${DOCKER_TAG} AS build
COPY services/api/main.py /app/
FROM build
COPY --from=build /app /app
COPY ["services/api/VERSION", "/app/"]
