#include "core/app/console/console_sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <stdexcept>

namespace markbridge {

std::string randomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes (OpenSSL)");
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

bool sameToken(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string credentialFingerprint(const std::string& passwordHash) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(passwordHash.data()), passwordHash.size(), digest);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 15];
  }
  return out;
}

std::string SessionBook::start(const std::string& user, ConsoleRole role, int64_t nowMs,
                               const std::string& credential) {
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.seen_ms < b.second.seen_ms;
    });
    sessions_.erase(oldest);
  }
  auto id = randomToken();
  sessions_[id] = ConsoleSession{user, role, randomToken(), nowMs, nowMs, credential};
  return id;
}

std::optional<ConsoleSession> SessionBook::touch(const std::string& id, int64_t nowMs) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  auto& s = it->second;
  if (nowMs - s.seen_ms >= kIdleMs || nowMs - s.started_ms >= kAbsoluteMs) {
    sessions_.erase(it);
    return std::nullopt;
  }
  s.seen_ms = nowMs;
  return s;
}

void SessionBook::end(const std::string& id) {
  sessions_.erase(id);
}

void SessionBook::endUser(const std::string& user) {
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.user == user; });
}

std::size_t LoginThrottle::recent(Failures& failures, const std::string& key, int64_t nowMs) {
  auto it = failures.find(key);
  if (it == failures.end()) return 0;
  auto& times = it->second;
  while (!times.empty() && nowMs - times.front() >= kWindowMs) times.pop_front();
  if (times.empty()) {
    failures.erase(it);
    return 0;
  }
  return times.size();
}

void LoginThrottle::note(Failures& failures, const std::string& key, int64_t nowMs) {
  if (failures.size() >= kTracked && !failures.count(key)) {
    // Forget whatever has left the window; if all are recent, the one failed longest ago.
    std::erase_if(failures, [&](const auto& e) { return nowMs - e.second.back() >= kWindowMs; });
    if (failures.size() >= kTracked)
      failures.erase(std::min_element(failures.begin(), failures.end(), [](auto& a, auto& b) {
        return a.second.back() < b.second.back();
      }));
  }
  failures[key].push_back(nowMs);
}

bool LoginThrottle::allowed(const std::string& name, const std::string& address, int64_t nowMs) {
  return recent(byPair_, pair(name, address), nowMs) < kFailuresPerNameAndAddress &&
         recent(byName_, name, nowMs) < kFailuresPerName &&
         recent(byAddress_, address, nowMs) < kFailuresPerAddress;
}

void LoginThrottle::failed(const std::string& name, const std::string& address, int64_t nowMs) {
  note(byPair_, pair(name, address), nowMs);
  note(byName_, name, nowMs);
  note(byAddress_, address, nowMs);
}

void LoginThrottle::undo(const std::string& name, const std::string& address) {
  auto takeBack = [](Failures& failures, const std::string& key) {
    auto it = failures.find(key);
    if (it == failures.end()) return;
    it->second.pop_back();
    if (it->second.empty()) failures.erase(it);
  };
  takeBack(byPair_, pair(name, address));
  takeBack(byName_, name);
  takeBack(byAddress_, address);
}

void LoginThrottle::succeeded(const std::string& name) {
  byName_.erase(name);
  std::erase_if(byPair_, [&](const auto& e) { return e.first.rfind(name + '\n', 0) == 0; });
}

}  // namespace markbridge
