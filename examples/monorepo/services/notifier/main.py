from acme.log import log

log("notifier sending")
