// The addon's own threads for blocking libvirt calls. A libvirt call can block for as
// long as libvirtd does not answer (a stopped or wedged daemon, a stuck QEMU monitor);
// on libuv's shared threadpool such calls would starve fs, crypto and every other user
// of that pool. Here they only ever occupy these threads. Results come back to the main
// thread of the Node.js environment that made the call through a thread-safe function.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

namespace vz {

// One call: Execute() runs on a pool thread, Complete() afterwards on the main thread.
class PendingCall {
 public:
  virtual ~PendingCall() = default;
  virtual void Execute() = 0;
  virtual void Complete(Napi::Env env) = 0;
};

// Per Node.js environment: where finished calls are handed back to the main thread.
// Pool threads may outlive the environment (a call still blocked in libvirt when a
// worker thread or the process ends), so every hand-back goes through the lock and
// the `open_` flag; a call finishing after the environment is gone is dropped.
class CompletionPort {
 public:
  // Main thread.
  static std::shared_ptr<CompletionPort> New(Napi::Env env);
  // Main thread: a call starts / finished. The port keeps the event loop alive only
  // while calls are in flight, as libuv work requests did.
  void Begin(Napi::Env env);
  void End(Napi::Env env);
  // Any thread; takes ownership of `call`.
  void Deliver(PendingCall* call);
  // Main thread, from the thread-safe function's finalizer.
  void MarkFinalized();

 private:
  // The function's context is a heap reference on the port, freed by its finalizer, so
  // the port outlives the function whatever order the environment tears down in.
  using Context = std::shared_ptr<CompletionPort>;
  static void CallJs(Napi::Env env, Napi::Function, Context* port, PendingCall* call);
  using Tsfn = Napi::TypedThreadSafeFunction<Context, PendingCall, CallJs>;

  std::mutex mu_;
  bool open_ = false;
  Tsfn tsfn_;
  std::size_t inFlight_ = 0;  // main thread only
};

struct CallPoolStats {
  unsigned threads = 0;
  unsigned busy = 0;
  std::size_t queued = 0;
};

// Process-wide, created on first use and never destroyed: a thread blocked in libvirt
// at exit must not be joined (that would hang the exit), so the threads are detached.
class CallPool {
 public:
  static CallPool& Instance();
  // Grows the pool to at least `n` threads (it never shrinks).
  void EnsureThreads(unsigned n);
  // Runs call->Execute() on a pool thread, then hands the call to `port`.
  void Post(PendingCall* call, std::shared_ptr<CompletionPort> port);
  CallPoolStats Stats();

  static constexpr unsigned kDefaultThreads = 4;

 private:
  struct Task {
    PendingCall* call;
    std::shared_ptr<CompletionPort> port;
  };
  void Run();
  void StartThreadsLocked(unsigned n);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  unsigned threads_ = 0;
  unsigned busy_ = 0;
};

}  // namespace vz
