target "Web-" {
  context = "base"
}

target "outside" {
  context = "../elsewhere"
}

target "nodockerfile" {
  context    = "base"
  dockerfile = "Dockerfile.missing"
}

target "remote" {
  context = "https://github.com/acme/app.git#main"
}

target "layout" {
  context  = "base"
  contexts = { a = "oci-layout:///tmp/layout" }
  platforms = ["linux"]
  secret   = ["id=key,src=missing.key", "id=tok,env=UNSET_TOKEN"]
  tags     = ["acme/layout:Bad Tag"]
}
