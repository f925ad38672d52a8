# The test `every_test_has_a_label`: fails when a discovered test has no kind (a new suite in a
# file the rules of test_labels.cmake.in do not place), so `ctest -L unit` etc. never miss one.
execute_process(COMMAND "${CTEST}" -N -L unlabelled WORKING_DIRECTORY "${BUILD_DIR}"
                OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctest -N failed (${rc}):\n${listed}")
endif()
if(NOT listed MATCHES "Total Tests: 0")
  message(FATAL_ERROR "tests without a label (unit, integration, blackbox):\n${listed}")
endif()
foreach(kind unit integration blackbox)
  execute_process(COMMAND "${CTEST}" -N -L "^${kind}$" WORKING_DIRECTORY "${BUILD_DIR}"
                  OUTPUT_VARIABLE listed)
  if(listed MATCHES "Total Tests: 0")
    message(FATAL_ERROR "no test has the label ${kind}")
  endif()
endforeach()
