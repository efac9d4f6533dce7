# The args style, without named contexts: the service's Dockerfile says FROM ${REPO}/base:${TAG},
# and the target passes REPO and TAG as args and is tagged with the same variables.
variable "REPO" {
  default = "acme"
}

variable "TAG" {
  default = "dev"
}

target "base" {
  context = "base"
  tags    = ["${REPO}/base:${TAG}"]
}

target "api" {
  context = "api"
  args    = { REPO = REPO, TAG = TAG }
  tags    = ["${REPO}/api:${TAG}"]
  network = "none"
}
