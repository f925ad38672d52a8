#include <Poco/URI.h>

#include <set>

#include "tests/sandbox/sandbox_state.h"

namespace markbridge::sandbox {

using Poco::Net::HTTPResponse;

void reply(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
           const nlohmann::json& body) {
  std::string text = body.dump();
  response.setStatus(status);
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(text.size()));
  response.send() << text;
}

namespace {

// Wonde answers an included relation as {"data": {...}} and one not asked for as its id (or not
// at all when it has none, as education_details): items seeded in that shape, with every
// relation under `data`, come back as the request's `include` would have them. Items seeded
// flat (no `data` objects) come back as they are.
nlohmann::json shapeForInclude(const nlohmann::json& item, const std::set<std::string>& includes,
                               const std::string& prefix) {
  if (!item.is_object()) return item;
  nlohmann::json shaped = nlohmann::json::object();
  for (const auto& [key, value] : item.items()) {
    bool relation = value.is_object() && value.size() == 1 && value.contains("data") &&
                    value["data"].is_object();
    if (!relation) {
      shaped[key] = value;
      continue;
    }
    std::string name = prefix.empty() ? key : prefix + "." + key;
    if (includes.count(name))
      shaped[key] = {{"data", shapeForInclude(value["data"], includes, name)}};
    else if (value["data"].contains("id"))
      shaped[key] = value["data"]["id"];
  }
  return shaped;
}

std::set<std::string> includeList(const std::string& text) {
  std::set<std::string> names;
  std::size_t from = 0;
  while (from <= text.size()) {
    auto comma = text.find(',', from);
    auto name = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (!name.empty()) names.insert(name);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return names;
}

}  // namespace

void serveMisAttendance(SandboxServer::State& state, Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response) {
  // The static MIS token, or an OAuth2 token this sandbox issued and has not revoked.
  auto header = request.get("Authorization", "");
  bool oauth2 = false;
  if (header.rfind("Bearer oauth-", 0) == 0) {
    std::lock_guard lock(state.mutex);
    oauth2 = state.tokens.count(header.substr(7)) > 0;
  }
  if (header != "Bearer " + state.options.mis_token && !oauth2)
    return reply(response, HTTPResponse::HTTP_UNAUTHORIZED, {{"error", "invalid bearer token"}});
  Poco::URI uri(request.getURI());
  std::string updatedAfter, include;
  int page = 1;
  for (const auto& [key, value] : uri.getQueryParameters()) {
    if (key == "updated_after") updatedAfter = value;
    if (key == "include") include = value;
    if (key == "page") page = std::max(1, std::atoi(value.c_str()));
  }
  if (updatedAfter.empty())
    return reply(response, HTTPResponse::HTTP_BAD_REQUEST, {{"error", "updated_after required"}});
  std::vector<nlohmann::json> matching;
  int pageSize = 2;
  {
    std::lock_guard lock(state.mutex);
    ++state.misRequests;
    state.misIncludes.push_back(include);
    pageSize = state.misPageSize;
    for (const auto& item : state.misItems) {
      std::string updated = item["updated_at"].value("date", "").substr(0, 19);
      if (updated > updatedAfter) matching.push_back(item);
    }
  }
  auto from = static_cast<std::size_t>((page - 1) * pageSize);
  auto includes = includeList(include);
  nlohmann::json data = nlohmann::json::array();
  for (std::size_t i = from; i < matching.size() && i < from + static_cast<std::size_t>(pageSize);
       ++i)
    data.push_back(shapeForInclude(matching[i], includes, ""));
  nlohmann::json next = nullptr;
  if (from + static_cast<std::size_t>(pageSize) < matching.size()) {
    Poco::URI nextUri(uri);
    Poco::URI::QueryParameters params;
    for (const auto& p : uri.getQueryParameters())
      if (p.first != "page") params.push_back(p);
    params.emplace_back("page", std::to_string(page + 1));
    nextUri.setQueryParameters(params);
    next = "https://127.0.0.1:" + std::to_string(request.serverAddress().port()) +
           nextUri.getPathAndQuery();
  }
  reply(response, HTTPResponse::HTTP_OK,
        {{"data", data},
         {"meta",
          {{"pagination",
            {{"next", next},
             {"previous", nullptr},
             {"more", !next.is_null()},
             {"per_page", pageSize},
             {"current_page", page}}}}}});
}

}  // namespace markbridge::sandbox
