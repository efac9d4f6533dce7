FROM scratch

WORKDIR /app

COPY requirements.txt ./

COPY . .

CMD ["/app/bin/busybox", "echo", "celery -A config worker --loglevel=info"]
