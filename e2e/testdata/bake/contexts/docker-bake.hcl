# Every service is built FROM base through a named context (contexts = {base = "target:base"}),
# as bake users write it; a template target carries what they share.
group "default" {
  targets = ["base", "services"]
}

group "services" {
  targets = ["api", "worker"]
}

target "_service" {
  contexts = {
    base   = "target:base"
    shared = "shared"
  }
  network  = "none"
  cache-to = ["type=inline"]
}

target "base" {
  context = "base"
}

target "api" {
  inherits = ["_service"]
  context  = "services/api"
  labels   = { "org.example.service" = "api" }
}

target "worker" {
  inherits = ["_service"]
  context  = "services/worker"
  args     = { QUEUE = "jobs" }
}
