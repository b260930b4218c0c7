#include "call_pool.h"

#include <thread>
#include <utility>

namespace vz {

std::shared_ptr<CompletionPort> CompletionPort::New(Napi::Env env) {
  auto port = std::make_shared<CompletionPort>();
  port->tsfn_ = Tsfn::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "virtzone:libvirt", 0, 1,
                          new Context(port), [](Napi::Env, void*, Context* ctx) {
                            (*ctx)->MarkFinalized();
                            delete ctx;
                          });
  port->open_ = true;
  port->tsfn_.Unref(env);
  return port;
}

void CompletionPort::Begin(Napi::Env env) {
  if (inFlight_++ == 0) tsfn_.Ref(env);
}

void CompletionPort::End(Napi::Env env) {
  if (inFlight_ > 0 && --inFlight_ == 0) tsfn_.Unref(env);
}

void CompletionPort::Deliver(PendingCall* call) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!open_ || tsfn_.NonBlockingCall(call) != napi_ok) delete call;
}

void CompletionPort::MarkFinalized() {
  std::lock_guard<std::mutex> lock(mu_);
  open_ = false;
}

void CompletionPort::CallJs(Napi::Env env, Napi::Function, Context* port, PendingCall* call) {
  std::unique_ptr<PendingCall> owned(call);
  if (env == nullptr || call == nullptr || port == nullptr) return;  // environment tearing down
  Napi::HandleScope scope(env);
  (*port)->End(env);
  call->Complete(env);
}

CallPool& CallPool::Instance() {
  static CallPool* pool = new CallPool();  // never destroyed, see the header
  return *pool;
}

void CallPool::EnsureThreads(unsigned n) {
  std::lock_guard<std::mutex> lock(mu_);
  StartThreadsLocked(n);
}

void CallPool::StartThreadsLocked(unsigned n) {
  while (threads_ < n) {
    std::thread([this]() { Run(); }).detach();
    threads_++;
  }
}

void CallPool::Post(PendingCall* call, std::shared_ptr<CompletionPort> port) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (threads_ == 0) StartThreadsLocked(kDefaultThreads);
    queue_.push_back(Task{call, std::move(port)});
  }
  cv_.notify_one();
}

CallPoolStats CallPool::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return CallPoolStats{threads_, busy_, queue_.size()};
}

void CallPool::Run() {
  for (;;) {
    Task task{nullptr, nullptr};
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this]() { return !queue_.empty(); });
      task = std::move(queue_.front());
      queue_.pop_front();
      busy_++;
    }
    task.call->Execute();
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_--;
    }
    task.port->Deliver(task.call);
  }
}

}  // namespace vz
