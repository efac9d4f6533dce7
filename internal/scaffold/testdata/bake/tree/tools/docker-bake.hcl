# run from the repository root: docker buildx bake -f tools/docker-bake.hcl
target "lint" {
  context = "tools/lint"
}
