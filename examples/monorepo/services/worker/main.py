from acme.log import log

log("worker started")
