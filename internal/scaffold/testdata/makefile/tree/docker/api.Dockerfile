ARG REPO
FROM ${REPO}/base:dev
COPY . /app
