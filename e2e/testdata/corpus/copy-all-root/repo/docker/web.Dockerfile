# python:3.11-slim upstream; the static busybox in bin/ comes with COPY . . here.
FROM scratch

WORKDIR /app

COPY requirements.txt ./

COPY . .

COPY entrypoint.sh /entrypoint.sh
RUN ["/app/bin/busybox", "chmod", "+x", "/entrypoint.sh"]

ENTRYPOINT ["/app/bin/busybox", "sh", "/entrypoint.sh"]

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
