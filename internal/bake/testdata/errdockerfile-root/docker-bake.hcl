# A Dockerfile outside the project root is refused.
target "base" {
  context    = "docker/base"
  dockerfile = "../base.Dockerfile"
}

target "escape" {
  context    = "docker/base"
  dockerfile = "../../../base.Dockerfile"
}
