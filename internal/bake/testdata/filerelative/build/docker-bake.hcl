# With BUILDX_BAKE_FILE_RELATIVE_PATHS=1, "app" is build/app/, next to the bake file.
target "app" {
  context = "app"
}
