# Copyright (c) 2015 The Pycroft Authors. See the AUTHORS file.
FROM pycroft-base

USER root
WORKDIR /

COPY etc/apt /etc/apt

COPY --link . /
COPY --link --chmod=755 ./container /container

USER pycroft
WORKDIR /opt/pycroft

EXPOSE 5000

CMD ["http"]
