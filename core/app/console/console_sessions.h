#pragma once
// Who is logged in to the console, and who may try to. Pure bookkeeping over times given by the
// caller (unix ms), so tests need no clock; the console holds one of each behind a mutex.
//
// Sessions: a random 256-bit id (64 hex characters) in an HttpOnly, Secure, SameSite=Strict
// cookie, kept only in the service's memory (a restart logs everyone out). A session ends after
// kIdleMs without a request or kAbsoluteMs after login, whichever comes first, at logout, and
// when its user is removed, their role changed or their password reset. Each session has its own
// random 256-bit CSRF token, sent in every form that changes something and compared in constant
// time.
//
// Login throttling: a user name that has failed kFailuresPerNameAndAddress times from one client
// address in the last kWindowMs (kFailuresPerName times from anywhere), or a client address that
// has failed kFailuresPerAddress times in it, is refused (429) until the oldest of those failures
// leaves the window, before any password is checked; the answer is the
// same whether the user exists or not. A successful login clears its name's failures.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "core/app/console/console_users.h"

namespace markbridge {

// 256 random bits as 64 lowercase hex characters (OpenSSL RAND_bytes).
std::string randomToken();
// Constant-time equality of two tokens.
bool sameToken(const std::string& a, const std::string& b);

struct ConsoleSession {
  std::string user;
  ConsoleRole role = ConsoleRole::ReadOnly;
  std::string csrf;
  int64_t started_ms = 0;
  int64_t seen_ms = 0;
  // A fingerprint of the user's stored password hash at login (credentialFingerprint): when the
  // users file holds another (a password reset), the session ends.
  std::string credential;
};

// A short SHA-256 fingerprint of a stored password hash (not the hash itself).
std::string credentialFingerprint(const std::string& passwordHash);

class SessionBook {
 public:
  static constexpr int64_t kIdleMs = 30LL * 60 * 1000;           // 30 minutes
  static constexpr int64_t kAbsoluteMs = 10LL * 60 * 60 * 1000;  // 10 hours (a school day)
  static constexpr std::size_t kMaxSessions = 1000;              // the oldest goes beyond it

  // A new session for `user`; returns its id.
  std::string start(const std::string& user, ConsoleRole role, int64_t nowMs,
                    const std::string& credential = "");
  // The live session with this id, its idle time restarted; nothing (and it is forgotten) when
  // unknown, idle too long or too old.
  std::optional<ConsoleSession> touch(const std::string& id, int64_t nowMs);
  void end(const std::string& id);
  // Ends every session of `user` (removed, or their role changed).
  void endUser(const std::string& user);
  std::size_t size() const { return sessions_.size(); }

 private:
  std::map<std::string, ConsoleSession> sessions_;
};

class LoginThrottle {
 public:
  static constexpr int64_t kWindowMs = 15LL * 60 * 1000;  // 15 minutes
  // A name from one address is refused after 5 failures; the name from anywhere only after 50
  // (so someone guessing from one computer cannot lock the DSL out everywhere); any names from one
  // address after 20.
  static constexpr std::size_t kFailuresPerNameAndAddress = 5;
  static constexpr std::size_t kFailuresPerName = 50;
  static constexpr std::size_t kFailuresPerAddress = 20;
  static constexpr std::size_t kTracked = 10000;  // names and addresses remembered at most

  // Whether a login for `name` from `address` may be checked now.
  bool allowed(const std::string& name, const std::string& address, int64_t nowMs);
  // Counts a failure. The console counts one before it checks the password (under the same lock
  // as allowed()), so parallel guesses cannot all pass allowed() first; `undo` takes it back.
  void failed(const std::string& name, const std::string& address, int64_t nowMs);
  void undo(const std::string& name, const std::string& address);
  void succeeded(const std::string& name);

 private:
  using Failures = std::map<std::string, std::deque<int64_t>>;
  static std::size_t recent(Failures& failures, const std::string& key, int64_t nowMs);
  static void note(Failures& failures, const std::string& key, int64_t nowMs);
  static std::string pair(const std::string& name, const std::string& address) {
    return name + '\n' + address;
  }
  Failures byPair_, byName_, byAddress_;
};

}  // namespace markbridge
