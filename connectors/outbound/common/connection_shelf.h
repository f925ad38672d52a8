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
// transport). Credentials are never part of a connection: each request carries its own school's
// (connectors/common/credentials.h), and the token endpoint's connections are not shelved. So a
// connection another school used carries nothing of that school into this one's requests, and a
// school with its own client certificate never sends on another's.
//
// A connection left idle kKeepIdleConnectionFor is closed: HttpsClient would not send on it
// again (it connects anew) and servers close theirs soon after (node after 5 s). The service
// sweeps the shelf when its oldest connection falls due, so none stays open between closes.

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

  // The worker's one shelf (never destroyed: a sink closing at exit may still hand back).
  static ConnectionShelf& ofProcess();

  // The TLS side for `tls`: the one already made for the same files' contents and passphrase
  // (its resumable sessions too), or a new one. Throws what loading them throws. `key` is set to
  // what names the transport of connections to `baseUrl` with these settings.
  std::shared_ptr<const TlsContext> tlsFor(const TlsSettings& tls, const std::string& baseUrl,
                                           int timeoutMs, std::string& key);

  // A kept-alive connection made with the transport `key`, or null.
  std::unique_ptr<HttpsClient> take(const std::string& key);
  // Keeps `client` for the next sync sending with `key`; at most `keepAtMost` are kept for one
  // key (the sink's max_in_flight), the rest closed.
  void put(const std::string& key, std::unique_ptr<HttpsClient> client, std::size_t keepAtMost);
  // Closes the connections idle kKeepIdleConnectionFor or longer.
  void closeIdle(Clock::time_point now = Clock::now());
  // When the oldest kept connection falls due to be closed; nothing when none is kept.
  std::optional<Clock::time_point> nextClosing() const;
  std::size_t kept() const;  // connections on the shelf now

 private:
  struct Kept {
    std::unique_ptr<HttpsClient> client;
    Clock::time_point since;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Kept>> kept_;               // transport key -> idle connections
  std::map<std::string, std::weak_ptr<const TlsContext>> tls_;  // settings' digest -> its TLS
};

}  // namespace markbridge
