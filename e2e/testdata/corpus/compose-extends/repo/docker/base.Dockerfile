# Copyright (c) 2015 The Pycroft Authors. See the AUTHORS file.
# python:3.11-bookworm upstream (plus apt packages and a useradd); scratch here, the static
# busybox and the pycroft user come with the context (bin/, etc/).
FROM scratch
ARG UID=1000
ARG GID=1000
ENV LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive

COPY etc/apt /etc/apt

WORKDIR /opt/pycroft

COPY --link . /

ENTRYPOINT ["/bin/busybox", "sh", "/container/entrypoint"]
