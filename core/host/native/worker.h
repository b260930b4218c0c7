// One Promise-returning libvirt call: the blocking part runs on a thread of the addon's
// own pool (call_pool.h), never libuv's; the conversion to JavaScript values on the
// main thread.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <functional>
#include <memory>
#include <utility>

#include "addon.h"
#include "call_pool.h"
#include "errors.h"

namespace vz {

// Owned reference on a virConnectPtr (virConnectRef / virConnectClose). Each call holds
// one for its whole run, so closing the connection while calls are in flight is safe:
// the last holder really closes it.
class ConnRef {
 public:
  ConnRef() = default;
  explicit ConnRef(virConnectPtr adopted) : conn_(adopted) {}
  ConnRef(const ConnRef&) = delete;
  ConnRef& operator=(const ConnRef&) = delete;
  ConnRef(ConnRef&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  ConnRef& operator=(ConnRef&& other) noexcept {
    if (this != &other) {
      Reset();
      conn_ = std::exchange(other.conn_, nullptr);
    }
    return *this;
  }
  ~ConnRef() { Reset(); }

  virConnectPtr get() const { return conn_; }
  explicit operator bool() const { return conn_ != nullptr; }
  void Reset() {
    if (conn_ != nullptr) virConnectClose(std::exchange(conn_, nullptr));
  }

 private:
  virConnectPtr conn_ = nullptr;
};

template <typename Result>
class CallWorker : public PendingCall {
 public:
  // Runs off the main thread. Returns false after filling `err` (captured right after the
  // failing libvirt call, on this same thread).
  using Exec = std::function<bool(virConnectPtr conn, Result& out, VzError& err)>;
  // Runs on the main thread with the result.
  using Convert = std::function<Napi::Value(Napi::Env env, Result& out)>;
  // Runs on the main thread when the call failed (e.g. to release resources made for it).
  using Cleanup = std::function<void()>;

  static Napi::Promise Queue(Napi::Env env, ConnRef conn, Exec exec, Convert convert,
                             Cleanup onError = nullptr) {
    auto* call = new CallWorker(env, std::move(conn), std::move(exec), std::move(convert), std::move(onError));
    Napi::Promise promise = call->deferred_.Promise();
    std::shared_ptr<CompletionPort> port = GetAddonData(env)->completions;
    port->Begin(env);
    CallPool::Instance().Post(call, std::move(port));
    return promise;
  }

  // Pool thread.
  void Execute() override {
    ok_ = exec_(conn_.get(), result_, err_);
    // Drop the reference here, not on the main thread: if the connection was closed
    // meanwhile this is the real virConnectClose, which may talk to libvirtd.
    conn_.Reset();
  }

  // Main thread.
  void Complete(Napi::Env env) override {
    if (!ok_) {
      if (onError_) onError_();
      deferred_.Reject(MakeJsError(env, err_));
      return;
    }
    try {
      deferred_.Resolve(convert_(env, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  CallWorker(Napi::Env env, ConnRef conn, Exec exec, Convert convert, Cleanup onError)
      : deferred_(Napi::Promise::Deferred::New(env)),
        conn_(std::move(conn)),
        exec_(std::move(exec)),
        convert_(std::move(convert)),
        onError_(std::move(onError)) {}

  Napi::Promise::Deferred deferred_;
  ConnRef conn_;
  Exec exec_;
  Convert convert_;
  Cleanup onError_;
  Result result_{};
  VzError err_;
  bool ok_ = false;
};

// A Promise already rejected with `e` (e.g. a call on a closed connection).
inline Napi::Promise RejectedPromise(Napi::Env env, const VzError& e) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(MakeJsError(env, e));
  return deferred.Promise();
}

}  // namespace vz
