# Run from the root, bake takes "app" as the root's app/ (build/app/ is another folder).
target "app" {
  context = "app"
}
