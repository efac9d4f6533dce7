# Copyright (c) 2015 The Pycroft Authors. See the AUTHORS file.
FROM pycroft-dev AS builder

WORKDIR /opt/pycroft/app

COPY --chown=pycroft:pycroft requirements.txt .
COPY --chown=pycroft:pycroft ./deps ./deps

COPY --chown=pycroft:pycroft package.json .

COPY --chown=pycroft:pycroft . .

FROM pycroft-base

COPY --chown=pycroft:pycroft --from=builder /opt/pycroft/app /opt/pycroft/wheel

EXPOSE 5000

CMD ["uwsgi"]
