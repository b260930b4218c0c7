// The credentials of the process at the other end of a Unix socket connection
// (SO_PEERCRED): who is calling the API, as the kernel vouches for it — the way
// libvirtd tells libvirt-sock's clients apart. Node has no API for it.
//
// Exported: peerCredentials(fd: number): { pid, uid, gid, groups } — groups are the
// peer's supplementary groups at connect time (SO_PEERGROUPS, Linux 4.13+; empty where
// the kernel lacks it), so a role given to a group reaches its members. Throws an Error with
// .code (errno name) when fd is not a connected Unix socket (on a TCP socket Linux would
// answer SO_PEERCRED with nobody's credentials: refused here). getsockopt never blocks.
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static napi_value throw_errno(napi_env env, int e) {
  char text[160];
  napi_value msg, err, code;
  snprintf(text, sizeof text, "getsockopt(SO_PEERCRED) failed: %s", strerror(e));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_create_string_utf8(env, e == EBADF ? "EBADF" : e == ENOTSOCK ? "ENOTSOCK" : e == EAFNOSUPPORT ? "EAFNOSUPPORT" : e == ENOPROTOOPT ? "ENOPROTOOPT" : "EINVAL", NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, err, "code", code);
  napi_throw(env, err);
  return NULL;
}

static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peerCredentials(fd): fd must be a non-negative integer");
    return NULL;
  }
  int domain = 0;
  socklen_t dlen = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) != 0) return throw_errno(env, errno);
  if (domain != AF_UNIX) return throw_errno(env, EAFNOSUPPORT);
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, errno);
  // supplementary groups: ERANGE tells the size needed
  gid_t stack_groups[64];
  gid_t* groups = stack_groups;
  socklen_t glen = sizeof stack_groups;
  int ngroups = 0;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) {
    ngroups = (int)(glen / sizeof(gid_t));
  } else if (errno == ERANGE && glen > 0 && glen <= 65536 * sizeof(gid_t)) {
    groups = malloc(glen);
    if (groups != NULL && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) ngroups = (int)(glen / sizeof(gid_t));
  }
  napi_value out, pid, uid, gid, list;
  napi_create_array_with_length(env, (size_t)ngroups, &list);
  for (int i = 0; i < ngroups; i++) {
    napi_value g;
    napi_create_int64(env, groups[i], &g);
    napi_set_element(env, list, (uint32_t)i, g);
  }
  if (groups != stack_groups) free(groups);
  napi_create_object(env, &out);
  napi_create_int64(env, cred.pid, &pid);
  napi_create_int64(env, cred.uid, &uid);
  napi_create_int64(env, cred.gid, &gid);
  napi_set_named_property(env, out, "pid", pid);
  napi_set_named_property(env, out, "uid", uid);
  napi_set_named_property(env, out, "gid", gid);
  napi_set_named_property(env, out, "groups", list);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "peerCredentials", NAPI_AUTO_LENGTH, peer_credentials, NULL, &fn);
  napi_set_named_property(env, exports, "peerCredentials", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
