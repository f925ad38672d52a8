#include "connectors/outbound/common/connection_shelf.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/domain/digest.h"

namespace markbridge {

namespace {

// The digest of what makes a TLS context: the files' contents (not their names) and the
// passphrase, each field named and its length given. Nothing when a file is not a regular file
// that can be read whole (a CA folder: its certificates are read one by one as needed).
std::optional<std::string> tlsDigest(const TlsSettings& tls) {
  Sha256 digest;
  auto field = [&](const char* name, const std::string& value) {
    digest.update(std::string(name) + ":" + std::to_string(value.size()) + ":");
    digest.update(value);
  };
  for (const auto& [name, file] : {std::pair{"ca_file", &tls.ca_file},
                                   {"client_cert", &tls.client_cert},
                                   {"client_key", &tls.client_key}}) {
    if (file->empty()) {
      field(name, "");
      continue;
    }
    std::error_code error;
    if (!std::filesystem::is_regular_file(*file, error)) return std::nullopt;
    std::ifstream in(*file, std::ios::binary);
    if (!in.is_open()) return std::nullopt;
    std::string contents{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return std::nullopt;
    field(name, contents);
  }
  field("key_passphrase", tls.key_passphrase);
  return digest.hex();
}

using Connections = std::vector<std::unique_ptr<HttpsClient>>;

bool usedEarlier(const std::unique_ptr<HttpsClient>& a, const std::unique_ptr<HttpsClient>& b) {
  return a->lastUsed() < b->lastUsed();
}

// The longest idle of `idle`.
Connections::iterator longestIdle(Connections& idle) {
  return std::min_element(idle.begin(), idle.end(), usedEarlier);
}

}  // namespace

ConnectionShelf& ConnectionShelf::ofProcess() {
  static auto* shelf = new ConnectionShelf;  // NOLINT(cppcoreguidelines-owning-memory): kept
  return *shelf;
}

ConnectionShelf::Transport ConnectionShelf::transportFor(const TlsSettings& tls,
                                                         const std::string& baseUrl,
                                                         int timeoutMs) {
  auto digest = tlsDigest(tls);
  auto key = [&] { return *digest + " " + std::to_string(timeoutMs) + " " + baseUrl; };
  if (digest) {
    std::lock_guard lock(mutex_);
    if (auto it = tls_.find(*digest); it != tls_.end())
      if (auto made = it->second.lock()) return Transport{key(), std::move(made)};
  }
  auto made = std::make_shared<const TlsContext>(tls);  // outside the lock: it reads files
  std::lock_guard lock(mutex_);
  // Shared only when the files read for the digest are the files loaded: one replaced meanwhile
  // could otherwise give its new contents to the sinks whose files hold the old.
  if (!digest || tlsDigest(tls) != digest)
    return Transport{"unshared " + std::to_string(++unshared_), std::move(made)};
  auto& entry = tls_[*digest];
  if (auto other = entry.lock()) return Transport{key(), std::move(other)};  // made meanwhile
  entry = made;
  std::erase_if(tls_, [](const auto& e) { return e.second.expired(); });
  return Transport{key(), std::move(made)};
}

void ConnectionShelf::sweep(Clock::time_point now, Connections& closing) {
  std::size_t total = 0;
  for (auto it = kept_.begin(); it != kept_.end();) {
    auto& idle = it->second;
    for (auto& client : idle)
      if (now - client->lastUsed() >= kKeepIdleConnectionFor) closing.push_back(std::move(client));
    std::erase(idle, nullptr);
    total += idle.size();
    it = idle.empty() ? kept_.erase(it) : std::next(it);
  }
  for (; total > kMostKept; --total) {
    auto oldest = kept_.begin();
    auto gone = longestIdle(oldest->second);
    for (auto it = std::next(kept_.begin()); it != kept_.end(); ++it)
      if (auto candidate = longestIdle(it->second); usedEarlier(*candidate, *gone)) {
        oldest = it;
        gone = candidate;
      }
    auto& idle = oldest->second;
    closing.push_back(std::move(*gone));
    idle.erase(gone);
    if (idle.empty()) kept_.erase(oldest);
  }
}

std::unique_ptr<HttpsClient> ConnectionShelf::take(const std::string& key) {
  Connections closing;  // declared before the lock: closed after it is let go
  std::lock_guard lock(mutex_);
  sweep(Clock::now(), closing);
  auto it = kept_.find(key);
  if (it == kept_.end()) return nullptr;
  auto& idle = it->second;
  // The most recently used: the others fall due first.
  auto freshest = std::max_element(idle.begin(), idle.end(), usedEarlier);
  auto client = std::move(*freshest);
  idle.erase(freshest);
  if (idle.empty()) kept_.erase(it);
  return client;
}

void ConnectionShelf::put(const std::string& key, std::unique_ptr<HttpsClient> client,
                          std::size_t keepAtMost) {
  if (!client->holdsConnection()) return;
  Connections closing;
  std::lock_guard lock(mutex_);
  auto& idle = kept_[key];
  if (idle.size() >= std::max<std::size_t>(keepAtMost, 1)) {
    auto gone = longestIdle(idle);
    closing.push_back(std::move(*gone));
    idle.erase(gone);
  }
  idle.push_back(std::move(client));
  sweep(Clock::now(), closing);
}

void ConnectionShelf::closeIdle(Clock::time_point now) {
  Connections closing;
  std::lock_guard lock(mutex_);
  sweep(now, closing);
}

void ConnectionShelf::closeAll() {
  decltype(kept_) closing;
  std::lock_guard lock(mutex_);
  closing.swap(kept_);
}

std::optional<ConnectionShelf::Clock::time_point> ConnectionShelf::nextClosing() const {
  std::lock_guard lock(mutex_);
  std::optional<Clock::time_point> soonest;
  for (const auto& [key, idle] : kept_)
    for (const auto& client : idle)
      if (!soonest || client->lastUsed() < *soonest) soonest = client->lastUsed();
  if (soonest) *soonest += kKeepIdleConnectionFor;
  return soonest;
}

std::size_t ConnectionShelf::kept() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [key, idle] : kept_) n += idle.size();
  return n;
}

}  // namespace markbridge
