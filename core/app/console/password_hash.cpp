#include "core/app/console/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace markbridge {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;
constexpr uint64_t kMaxMemory = 256ull * 1024 * 1024;  // refuse a stored cost beyond this

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::vector<unsigned char>> unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::vector<unsigned char> derive(const std::string& password, const unsigned char* salt,
                                  std::size_t saltSize, ScryptCost cost, std::size_t keySize) {
  std::vector<unsigned char> key(keySize);
  if (EVP_PBE_scrypt(password.data(), password.size(), salt, saltSize, cost.n, cost.r, cost.p,
                     kMaxMemory, key.data(), key.size()) != 1)
    throw std::runtime_error("scrypt failed (OpenSSL)");
  return key;
}

struct Parsed {
  ScryptCost cost;
  std::vector<unsigned char> salt, key;
};

std::optional<Parsed> parse(const std::string& stored, std::string& why) {
  // scrypt$N=..,r=..,p=..$salt$key
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto at = stored.find('$', start);
    parts.push_back(stored.substr(start, at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  if (parts.size() != 4 || parts[0] != "scrypt") {
    why = "not a scrypt hash (expected scrypt$N=..,r=..,p=..$salt$key)";
    return std::nullopt;
  }
  Parsed p;
  unsigned long long n = 0, r = 0, par = 0;
  char tail = 0;
  if (std::sscanf(parts[1].c_str(), "N=%llu,r=%llu,p=%llu%c", &n, &r, &par, &tail) != 3) {
    why = "its cost '" + parts[1] + "' is not N=..,r=..,p=..";
    return std::nullopt;
  }
  if (n < 2 || (n & (n - 1)) != 0 || r == 0 || par == 0 || par > 16 ||
      128ull * r * n > kMaxMemory) {
    why = "its cost '" + parts[1] + "' is out of bounds";
    return std::nullopt;
  }
  p.cost = {n, r, par};
  auto salt = unbase64(parts[2]);
  auto key = unbase64(parts[3]);
  if (!salt || salt->size() < 8 || !key || key->size() < 16) {
    why = "its salt or key is not base64 of the right length";
    return std::nullopt;
  }
  p.salt = std::move(*salt);
  p.key = std::move(*key);
  return p;
}

}  // namespace

std::string hashPassword(const std::string& password, ScryptCost cost) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no random bytes (OpenSSL)");
  auto key = derive(password, salt, sizeof salt, cost, kKeyBytes);
  return "scrypt$N=" + std::to_string(cost.n) + ",r=" + std::to_string(cost.r) +
         ",p=" + std::to_string(cost.p) + "$" + base64(salt, sizeof salt) + "$" +
         base64(key.data(), key.size());
}

bool verifyPassword(const std::string& password, const std::string& stored, std::string* why) {
  std::string reason;
  auto parsed = parse(stored, reason);
  if (!parsed) {
    if (why) *why = reason;
    return false;
  }
  auto key =
      derive(password, parsed->salt.data(), parsed->salt.size(), parsed->cost, parsed->key.size());
  return CRYPTO_memcmp(key.data(), parsed->key.data(), key.size()) == 0;
}

std::optional<std::string> passwordHashProblem(const std::string& stored) {
  std::string why;
  if (parse(stored, why)) return std::nullopt;
  return why;
}

}  // namespace markbridge
