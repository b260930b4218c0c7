{
  # sd_notify transport for the daemon (see sd_notify.c for why it is native).
  # Standalone so it builds without libvirt-dev and apart from the libvirt addon:
  #   npx node-gyp rebuild -C daemon/process/native
  # Output: daemon/process/native/build/Release/virtzone_sd_notify.node
  # (daemon/process/notify.ts also accepts build/Release/virtzone_sd_notify.node at the
  # package root, should this target be merged into the root binding.gyp.)
  "targets": [
    {
      "target_name": "virtzone_sd_notify",
      "sources": ["sd_notify.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror"]
    }
  ]
}
