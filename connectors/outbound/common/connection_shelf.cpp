#include "connectors/outbound/common/connection_shelf.h"

#include <fstream>

#include "core/domain/digest.h"

namespace markbridge {

namespace {

// The digest of what makes a TLS context: the files' contents (not their names) and the
// passphrase. A file that cannot be read digests as such; loading it fails with its own message.
std::string tlsDigest(const TlsSettings& tls) {
  Sha256 digest;
  for (const auto* file : {&tls.ca_file, &tls.client_cert, &tls.client_key}) {
    digest.update(file->empty() ? "none" : "file");
    if (!file->empty()) {
      std::ifstream in(*file, std::ios::binary);
      std::string block(64 * 1024, '\0');
      while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0)
        digest.update(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
      digest.update(in.bad() ? "|unreadable|" : "|end|");
    }
  }
  digest.update(tls.key_passphrase);
  return digest.hex();
}

}  // namespace

ConnectionShelf& ConnectionShelf::ofProcess() {
  static auto* shelf = new ConnectionShelf;  // NOLINT(cppcoreguidelines-owning-memory): kept
  return *shelf;
}

std::shared_ptr<const TlsContext> ConnectionShelf::tlsFor(const TlsSettings& tls,
                                                          const std::string& baseUrl, int timeoutMs,
                                                          std::string& key) {
  std::string digest = tlsDigest(tls);
  key = digest + " " + std::to_string(timeoutMs) + " " + baseUrl;
  {
    std::lock_guard lock(mutex_);
    if (auto made = tls_[digest].lock()) return made;
  }
  auto made = std::make_shared<const TlsContext>(tls);  // outside the lock: it reads files
  std::lock_guard lock(mutex_);
  auto& entry = tls_[digest];
  if (auto other = entry.lock()) return other;  // another thread made it meanwhile
  entry = made;
  std::erase_if(tls_, [](const auto& e) { return e.second.expired(); });
  return made;
}

std::unique_ptr<HttpsClient> ConnectionShelf::take(const std::string& key) {
  std::vector<std::unique_ptr<HttpsClient>> closing;  // too old: closed outside the lock
  std::lock_guard lock(mutex_);
  auto it = kept_.find(key);
  if (it == kept_.end()) return nullptr;
  auto now = Clock::now();
  auto& idle = it->second;
  while (!idle.empty()) {  // the most recently used first: the others may fall due
    Kept kept = std::move(idle.back());
    idle.pop_back();
    if (now - kept.since < kKeepIdleConnectionFor) {
      if (idle.empty()) kept_.erase(it);
      return std::move(kept.client);
    }
    closing.push_back(std::move(kept.client));
  }
  kept_.erase(it);
  return nullptr;
}

void ConnectionShelf::put(const std::string& key, std::unique_ptr<HttpsClient> client,
                          std::size_t keepAtMost) {
  {
    std::lock_guard lock(mutex_);
    auto& idle = kept_[key];
    if (idle.size() < keepAtMost) {
      idle.push_back(Kept{std::move(client), Clock::now()});
      return;
    }
  }
  client.reset();  // one more than the sink keeps: closed, outside the lock
}

void ConnectionShelf::closeIdle(Clock::time_point now) {
  std::vector<std::unique_ptr<HttpsClient>> closing;
  std::lock_guard lock(mutex_);
  for (auto it = kept_.begin(); it != kept_.end();) {
    auto& idle = it->second;
    std::erase_if(idle, [&](Kept& kept) {
      if (now - kept.since < kKeepIdleConnectionFor) return false;
      closing.push_back(std::move(kept.client));
      return true;
    });
    it = idle.empty() ? kept_.erase(it) : std::next(it);
  }
}

std::optional<ConnectionShelf::Clock::time_point> ConnectionShelf::nextClosing() const {
  std::lock_guard lock(mutex_);
  std::optional<Clock::time_point> soonest;
  for (const auto& [key, idle] : kept_)
    for (const auto& kept : idle)
      if (!soonest || kept.since < *soonest) soonest = kept.since;
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
