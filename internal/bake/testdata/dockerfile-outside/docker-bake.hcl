# The Dockerfile beside its context, as pycroft's bake file has it.
target "base" {
  context    = "docker/base"
  dockerfile = "../base.Dockerfile"
}
