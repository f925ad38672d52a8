#include <Poco/URI.h>

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

void serveMisAttendance(SandboxServer::State& state, Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response) {
  if (request.get("Authorization", "") != "Bearer " + state.options.mis_token)
    return reply(response, HTTPResponse::HTTP_UNAUTHORIZED, {{"error", "invalid bearer token"}});
  Poco::URI uri(request.getURI());
  std::string updatedAfter;
  int page = 1;
  for (const auto& [key, value] : uri.getQueryParameters()) {
    if (key == "updated_after") updatedAfter = value;
    if (key == "page") page = std::max(1, std::atoi(value.c_str()));
  }
  if (updatedAfter.empty())
    return reply(response, HTTPResponse::HTTP_BAD_REQUEST, {{"error", "updated_after required"}});
  std::vector<nlohmann::json> matching;
  int pageSize = 2;
  {
    std::lock_guard lock(state.mutex);
    ++state.misRequests;
    pageSize = state.misPageSize;
    for (const auto& item : state.misItems) {
      std::string updated = item["updated_at"].value("date", "").substr(0, 19);
      if (updated > updatedAfter) matching.push_back(item);
    }
  }
  auto from = static_cast<std::size_t>((page - 1) * pageSize);
  nlohmann::json data = nlohmann::json::array();
  for (std::size_t i = from; i < matching.size() && i < from + static_cast<std::size_t>(pageSize);
       ++i)
    data.push_back(matching[i]);
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
          {{"pagination", {{"next", next}, {"per_page", pageSize}, {"current_page", page}}}}}});
}

}  // namespace markbridge::sandbox
