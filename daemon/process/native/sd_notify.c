// sd_notify for Node: send one datagram to systemd's notification socket.
//
// Why native: the sd_notify protocol is one AF_UNIX SOCK_DGRAM datagram to
// $NOTIFY_SOCKET, and Node has no unix datagram sockets (dgram is UDP only, net is
// stream only). The alternative, spawning `systemd-notify`, needs NotifyAccess=all
// (any process of the service may then claim readiness) and a process per watchdog
// ping. This addon is the whole protocol's transport: everything else (parsing the
// environment, message formats, watchdog timing) lives in daemon/process/notify.ts.
//
// Exported: send(socketPath: string, message: string): void — throws an Error with
// .code (errno name, e.g. "ENOENT") and .syscall on failure. Never blocks: the
// socket is non-blocking, and a full receive queue surfaces as EAGAIN.
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case ENOBUFS: return "ENOBUFS";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOTDIR: return "ENOTDIR";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EPROTOTYPE: return "EPROTOTYPE";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EINVAL: return "EINVAL";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, const char *syscall, int e) {
  char text[160];
  napi_value msg, err, code, sys;
  snprintf(text, sizeof text, "sd_notify %s failed: %s", syscall, strerror(e));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, err, "code", code);
  napi_set_named_property(env, err, "syscall", sys);
  napi_throw(env, err);
  return NULL;
}

// Reads argument i as a malloc'ed UTF-8 string (caller frees); NULL after throwing.
static char *string_arg(napi_env env, napi_value v, const char *name, size_t *len_out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    char text[64];
    snprintf(text, sizeof text, "%s must be a string", name);
    napi_throw_type_error(env, NULL, text);
    return NULL;
  }
  char *buf = malloc(len + 1);
  if (buf == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, v, buf, len + 1, &len);
  if (len_out) *len_out = len;
  return buf;
}

static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "send(socketPath, message) needs two arguments");
    return NULL;
  }
  size_t path_len = 0, msg_len = 0;
  char *path = string_arg(env, argv[0], "socketPath", &path_len);
  if (path == NULL) return NULL;
  char *message = string_arg(env, argv[1], "message", &msg_len);
  if (message == NULL) {
    free(path);
    return NULL;
  }

  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  // "/path" is a filesystem socket; "@name" is in the abstract namespace (leading NUL).
  if (path_len == 0 || (path[0] != '/' && path[0] != '@') || path_len >= sizeof addr.sun_path) {
    free(path);
    free(message);
    napi_throw_range_error(env, NULL, "socketPath must be an absolute path or @abstract name shorter than 108 bytes");
    return NULL;
  }
  memcpy(addr.sun_path, path, path_len);
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);
  free(path);

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    int e = errno;
    free(message);
    return throw_errno(env, "socket", e);
  }
  ssize_t sent;
  do {
    sent = sendto(fd, message, msg_len, MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
  } while (sent < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  free(message);
  if (sent < 0) return throw_errno(env, "sendto", e);
  if ((size_t)sent != msg_len) return throw_errno(env, "sendto", EMSGSIZE);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "send", NAPI_AUTO_LENGTH, Send, NULL, &fn);
  napi_set_named_property(env, exports, "send", fn);
  return exports;
}
