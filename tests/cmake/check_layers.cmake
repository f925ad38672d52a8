# The layers are enforced by the build: each library target's include path holds only its own
# folders and those of the layers it links (markbridge_layer in the top CMakeLists.txt). This
# check compiles a one-line probe with the exact flags of a real source file of each layer (taken
# from compile_commands.json): a header from a layer below must compile, a header against the
# flow must fail with "No such file". It also refuses includes that climb out with "../".
# Run: cmake -DBUILD_DIR=build -DSOURCE_DIR=. -P tests/cmake/check_layers.cmake

# layer;a source file of it;headers it may include;headers it must not reach
set(cases
  "domain|core/domain/date.cpp|core/domain/upn.h|schedules/school_calendar.h,core/rules/event.h"
  "calendar|schedules/school_calendar.cpp|core/domain/date.h|mapping/code_map.h,core/rules/event.h"
  "mapping|mapping/code_map.cpp|schedules/school_calendar.h|core/rules/event.h,connectors/inbound/inbound_connector.h"
  "rules|core/rules/event.cpp|schedules/school_calendar.h|core/store/store.h,core/outbox/outbox_item.h,mapping/code_map.h,core/app/gateway.h"
  "outbox|core/outbox/sink.cpp|core/rules/event.h|core/store/store.h,connectors/outbound/outbound_types.h"
  "store|core/store/store.cpp|core/outbox/outbox_item.h|core/app/gateway.h,connectors/inbound/inbound_connector.h"
  "https|connectors/common/secret.cpp|core/domain/date.h|core/outbox/sink.h,mapping/code_map.h"
  "inbound|connectors/inbound/registry.cpp|mapping/code_map.h|core/store/store.h,core/rules/event.h,connectors/outbound/outbound_types.h,core/app/gateway.h"
  "outbound|connectors/outbound/registry.cpp|core/outbox/sink.h|core/store/store.h,connectors/inbound/inbound_connector.h,core/app/gateway.h")

get_filename_component(BUILD_DIR ${BUILD_DIR} ABSOLUTE)
get_filename_component(SOURCE_DIR ${SOURCE_DIR} ABSOLUTE)
file(READ ${BUILD_DIR}/compile_commands.json commands)
string(JSON count LENGTH "${commands}")
math(EXPR last "${count} - 1")
set(probe_dir ${BUILD_DIR}/layer_probes)
file(MAKE_DIRECTORY ${probe_dir})
set(failures "")

function(compile_probe source header outcome)
  set(flags "")
  foreach(i RANGE ${last})
    string(JSON file GET "${commands}" ${i} file)
    if(file STREQUAL "${SOURCE_DIR}/${source}")
      string(JSON flags GET "${commands}" ${i} command)
      string(JSON dir GET "${commands}" ${i} directory)
      break()
    endif()
  endforeach()
  if(flags STREQUAL "")
    set(${outcome} "no compile command for ${source}" PARENT_SCOPE)
    return()
  endif()
  separate_arguments(args UNIX_COMMAND "${flags}")
  # Keep the compiler and its flags; drop the output, dependency file and source arguments.
  set(kept "")
  set(skip_next FALSE)
  foreach(arg IN LISTS args)
    if(skip_next)
      set(skip_next FALSE)
    elseif(arg MATCHES "^-(o|MT|MF)$" OR arg STREQUAL "-c")
      set(skip_next TRUE)
    elseif(arg MATCHES "ccache$" OR arg STREQUAL "-MD")
    else()
      list(APPEND kept "${arg}")
    endif()
  endforeach()
  string(MAKE_C_IDENTIFIER "${source}_${header}" name)
  set(probe ${probe_dir}/${name}.cpp)
  file(WRITE ${probe} "#include \"${header}\"\n")
  execute_process(COMMAND ${kept} -fsyntax-only ${probe} WORKING_DIRECTORY ${dir}
                  RESULT_VARIABLE result ERROR_VARIABLE errors OUTPUT_QUIET)
  if(result EQUAL 0)
    set(${outcome} "compiles" PARENT_SCOPE)
  elseif(errors MATCHES "${header}: No such file or directory")
    set(${outcome} "not found" PARENT_SCOPE)
  else()
    set(${outcome} "failed otherwise: ${errors}" PARENT_SCOPE)
  endif()
endfunction()

foreach(case IN LISTS cases)
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 layer)
  list(GET parts 1 source)
  list(GET parts 2 allowed)
  list(GET parts 3 forbidden)
  string(REPLACE "," ";" allowed "${allowed}")
  string(REPLACE "," ";" forbidden "${forbidden}")
  foreach(header IN LISTS allowed)
    compile_probe(${source} ${header} outcome)
    if(NOT outcome STREQUAL "compiles")
      list(APPEND failures "${layer}: ${header} should compile but: ${outcome}")
    endif()
  endforeach()
  foreach(header IN LISTS forbidden)
    compile_probe(${source} ${header} outcome)
    if(NOT outcome STREQUAL "not found")
      list(APPEND failures "${layer}: including ${header} is against the flow but: ${outcome}")
    endif()
  endforeach()
  message(STATUS "layer ${layer}: below reachable, against the flow refused")
endforeach()

file(GLOB_RECURSE sources ${SOURCE_DIR}/core/*.h ${SOURCE_DIR}/core/*.cpp
     ${SOURCE_DIR}/mapping/*.h ${SOURCE_DIR}/mapping/*.cpp ${SOURCE_DIR}/schedules/*.h
     ${SOURCE_DIR}/schedules/*.cpp ${SOURCE_DIR}/connectors/*.h ${SOURCE_DIR}/connectors/*.cpp)
foreach(source IN LISTS sources)
  file(STRINGS ${source} climbing REGEX "^#include [\"<]\\.\\./")
  if(climbing)
    list(APPEND failures "${source}: ${climbing} (name the header from the layer's root)")
  endif()
endforeach()

if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "The layers are not enforced:\n  ${text}")
endif()
