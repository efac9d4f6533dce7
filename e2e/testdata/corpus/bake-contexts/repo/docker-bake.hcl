# docker buildx bake            -> api and worker (and base, which both build on)
# docker buildx bake base       -> the base alone
# The apps get the base image and the shared library as named contexts, not by their refs.

variable "REGISTRY" {
  default = "cr.example.net/datalens"
}

variable "TAG" {
  default = "dev"
}

group "default" {
  targets = ["api", "worker"]
}

target "base" {
  context    = "docker_build/base"
  dockerfile = "Dockerfile"
  tags       = ["${REGISTRY}/base:${TAG}"]
}

target "_app" {
  contexts = {
    bake_ctx_base_img = "target:base"
    bake_ctx_src_lib  = "lib"
  }
  args = {
    APP_ENV = "production"
  }
}

target "api" {
  inherits   = ["_app"]
  context    = "app/api"
  dockerfile = "Dockerfile"
  tags       = ["${REGISTRY}/api:${TAG}"]
}

target "worker" {
  inherits   = ["_app"]
  context    = "app/worker"
  dockerfile = "Dockerfile"
  args = {
    WORKER_QUEUE = "default"
  }
  tags = ["${REGISTRY}/worker:${TAG}"]
}
