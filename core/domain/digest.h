#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace markbridge {
// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

// SHA-256 over data that arrives in pieces (a file read block by block).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  // Lower-case hex of everything updated so far; ends the digest.
  std::string hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The fingerprint of an inbound file or API body: the same bytes are the same import and are not
// read again. XXH3-128 (about 20 times faster than SHA-256 here, so fingerprinting a 3 GB export
// costs a fraction of a second); it guards against repeats, not against forgery: whoever can
// write the inbound folder can write any marks anyway.
class ContentFingerprint {
 public:
  ContentFingerprint();
  ~ContentFingerprint();
  ContentFingerprint(const ContentFingerprint&) = delete;
  ContentFingerprint& operator=(const ContentFingerprint&) = delete;
  void update(std::string_view data);
  // "xxh3:" and 32 hex digits.
  std::string hex() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};
std::string contentFingerprint(std::string_view data);

// A 64-bit XXH3 of `data`, seeded: for telling whether something changed, never for security.
uint64_t hash64(std::string_view data, uint64_t seed = 0);

}  // namespace markbridge
