FROM scratch

WORKDIR /app

COPY requirements.txt ./

COPY . .

EXPOSE 8001

CMD ["/app/bin/busybox", "echo", "daphne -b 0.0.0.0 -p 8001 config.asgi:application"]
