#pragma once
// The connections a worker keeps to its destinations between its schools' syncs. A trust's or
// an LA's schools mostly send to the same LA portal and the same CPOMS: a school's sync hands
// the kept-alive connections it has finished with to the next school's sync that sends the same
// way, which saves that connection's TLS handshake and TCP connect on both sides (a close of 300
// schools opened about 4,800 connections; now a worker opens about max_in_flight a destination).
//
// What may share a connection is decided by everything that makes the transport, never by who
// sends: the destination's base_url, the timeout, and the contents of the CA bundle, client
// certificate and key, and the key's passphrase (a certificate renewed on disk is another
// transport). A CA folder, a file that cannot be read whole, or one that changed while it was
// loaded is shared with no other sink. Credentials are never part of a connection: each request
// carries its own school's (connectors/common/credentials.h), and the token endpoint's
// connections are not shelved. So a connection another school used carries nothing of that
// school into this one's requests, and a school with its own client certificate never sends on
// another's. (HttpsClient drops a connection that holds anything after an answer, so no answer
// is left on it for the next request.)
//
// A connection idle kKeepIdleConnectionFor is closed, whenever the shelf is used and when the
// service waits (it wakes for the oldest): HttpsClient would not send on it again, and servers
// close theirs soon after (node after 5 s). At most kMostKept are kept in all.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/common/https_client.h"

namespace markbridge {

class ConnectionShelf {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMostKept = 256;

  // The worker's one shelf (never destroyed: a sink closing at exit may still hand back).
  static ConnectionShelf& ofProcess();

  // How a sink's connections are made: the TLS side (the one already made for the same files'
  // contents and passphrase, with its resumable sessions, or a new one) and the key that names
  // connections to its base_url made with it.
  struct Transport {
    std::string key;
    std::shared_ptr<const TlsContext> tls;
  };
  // Throws what loading the certificates throws.
  Transport transportFor(const TlsSettings& tls, const std::string& baseUrl, int timeoutMs);

  // A kept-alive connection made with the transport `key`, or null.
  std::unique_ptr<HttpsClient> take(const std::string& key);
  // Keeps `client` (when it holds a connection) for the next sync sending with `key`; at most
  // `keepAtMost` for one key (the sink's max_in_flight): the longest idle goes first.
  void put(const std::string& key, std::unique_ptr<HttpsClient> client, std::size_t keepAtMost);
  // Closes the connections idle kKeepIdleConnectionFor or longer.
  void closeIdle(Clock::time_point now = Clock::now());
  // Closes every kept connection (a worker stopping).
  void closeAll();
  // When the longest idle kept connection falls due to be closed; nothing when none is kept.
  std::optional<Clock::time_point> nextClosing() const;
  std::size_t kept() const;  // connections on the shelf now

 private:
  // Moves the connections idle too long (and the longest idle beyond kMostKept) into
  // `closing`, to be closed outside the lock.
  void sweep(Clock::time_point now, std::vector<std::unique_ptr<HttpsClient>>& closing);

  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<HttpsClient>>> kept_;  // key -> idle
  std::map<std::string, std::weak_ptr<const TlsContext>> tls_;  // settings' digest -> its TLS
  uint64_t unshared_ = 0;                                       // transports shared with none
};

}  // namespace markbridge
