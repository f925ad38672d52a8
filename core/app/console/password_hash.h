#pragma once
// Console passwords, hashed with scrypt (OpenSSL EVP_PBE_scrypt): memory-hard, a random 16-byte
// salt per password, compared in constant time. The stored form names the algorithm and its
// cost, so a stronger cost later still verifies the hashes made before it:
//   scrypt$N=32768,r=8,p=3$<salt, base64>$<32-byte key, base64>
// N=2^15, r=8, p=3 is one of OWASP's scrypt settings: 32 MiB of memory for each check, about
// 0.1-0.3 s of one core (a login is throttled before it is checked: see login_throttle.h).

#include <cstdint>
#include <optional>
#include <string>

namespace markbridge {

struct ScryptCost {
  uint64_t n = 32768;  // CPU/memory cost, a power of 2
  uint64_t r = 8;      // block size
  uint64_t p = 3;      // parallelism
};

// A new hash of `password` with a fresh random salt. Throws std::runtime_error if OpenSSL fails.
std::string hashPassword(const std::string& password, ScryptCost cost = {});

// Whether `password` matches `stored`; false for a stored text that is not a hash this version
// reads (the reason in `why` when given).
bool verifyPassword(const std::string& password, const std::string& stored,
                    std::string* why = nullptr);

// Whether `stored` reads as a hash (algorithm, cost in bounds, salt and key), else the reason.
std::optional<std::string> passwordHashProblem(const std::string& stored);

}  // namespace markbridge
