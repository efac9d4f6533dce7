# Variables come from the environment (TAG=t1 here); REPO keeps its default.
variable "TAG" {
  default = "dev"
}
variable "REPO" {
  default = "registry.example.com/acme"
}

function "ref" {
  params = [name]
  result = "${REPO}/${name}:${TAG}"
}

group "default" {
  targets = ["base", "app", "workers"]
}

group "workers" {
  targets = ["worker"]
}

# A template: only inherited, in no group, so not an image of its own.
target "_common" {
  args = {
    BUILD_NUMBER = "42"
    UNSET        = null
  }
  labels = {
    "org.opencontainers.image.vendor" = "acme"
  }
  network  = "none"
  cache-to = ["type=inline"]
}

target "base" {
  inherits   = ["_common"]
  context    = "base"
  tags       = [ref("base")]
  cache-from = ["${REPO}/base:cache", "type=local,src=/tmp/cache"]
}

target "app" {
  inherits = ["_common"]
  context  = "app"
  contexts = {
    base   = "target:base"
    shared = "shared"
    alpine = "docker-image://alpine:3.20"
  }
  tags      = [ref("app"), "${REPO}/app:latest"]
  platforms = [BAKE_LOCAL_PLATFORM]
  secret    = ["id=npm,env=NPM_TOKEN", "id=token,src=secrets/token.txt", "id=NPM_TOKEN"]
  ssh       = ["default", "git=keys/id_ed25519"]
  target    = "runtime"
}

# A matrix: one target per item, and a group "worker" of them, as bake makes it.
target "worker" {
  name       = "worker-${kind}"
  matrix     = { kind = ["email", "sms"] }
  inherits   = ["_common"]
  context    = "app"
  dockerfile = "Dockerfile.worker"
  contexts   = { base = "target:base" }
  args       = { KIND = kind }
  platforms  = ["linux/amd64", "linux/arm64"]
  annotations = ["index:org.opencontainers.image.description=worker"]
}
