#include "connectors/common/secret.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace markbridge {

std::optional<std::string> readSecret(const std::string& envName, const std::filesystem::path& file,
                                      std::string& error) {
  if (!envName.empty()) {
    const char* value = std::getenv(envName.c_str());
    if (!value || !*value) {
      error = "environment variable " + envName + " is not set";
      return std::nullopt;
    }
    return std::string(value);
  }
  if (file.empty()) {
    error = "no secret configured";
    return std::nullopt;
  }
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    error = "cannot read secret file " + file.string();
    return std::nullopt;
  }
  if ((info.st_mode & 077) != 0) {
    error = "secret file " + file.string() + " must be readable by its owner only (chmod 600)";
    return std::nullopt;
  }
  std::ifstream in(file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string secret = buffer.str();
  while (!secret.empty() &&
         (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' '))
    secret.pop_back();
  if (secret.empty()) {
    error = "secret file " + file.string() + " is empty";
    return std::nullopt;
  }
  return secret;
}

std::optional<std::string> readTokenSetting(const std::string& tokenEnv,
                                            const std::filesystem::path& tokenFile,
                                            const std::string& path, const ConfigContext& context) {
  std::string error;
  auto token = readSecret(tokenEnv, tokenFile, error);
  if (!token) context.add(path + (tokenEnv.empty() ? ".token_file" : ".token_env"), error);
  return token;
}

}  // namespace markbridge
