{
  # The libvirt binding: a small N-API addon over libvirt's C API (see core/host/native/).
  # Build: `npm run build:native` (node-gyp rebuild); output build/Release/virtzone_libvirt.node.
  "targets": [
    {
      "target_name": "virtzone_libvirt",
      "sources": [
        "core/host/native/addon.cc",
        "core/host/native/args.cc",
        "core/host/native/call_pool.cc",
        "core/host/native/conn_state.cc",
        "core/host/native/connection.cc",
        "core/host/native/domain_params.cc",
        "core/host/native/domain_record.cc",
        "core/host/native/errors.cc",
        "core/host/native/event_loop.cc",
        "core/host/native/events.cc",
        "core/host/native/open.cc",
        "core/host/native/operations.cc",
        "core/host/native/typed_params.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(pkg-config --cflags libvirt)"],
      "libraries": ["<!@(pkg-config --libs libvirt)"]
    },
    {
      # sd_notify transport for Type=notify (see daemon/process/native/sd_notify.c)
      "target_name": "virtzone_sd_notify",
      "sources": ["daemon/process/native/sd_notify.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror"]
    },
    {
      # SO_PEERCRED of an API caller on the Unix socket (see router/native/peer_cred.c)
      "target_name": "virtzone_peer_cred",
      "sources": ["router/native/peer_cred.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror"]
    }
  ]
}
