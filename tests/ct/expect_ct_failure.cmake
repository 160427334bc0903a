# expect_ct_failure.cmake — runs one deliberately variable-time group of test_ct_bls under
# valgrind and passes only if memcheck flagged it: valgrind's exit status is exactly the
# --error-exitcode (99), memcheck printed a secret-dependence report, and the program got
# to its own "flagged" line (so a crash or a missing valgrind does not count as success).
#   cmake -DVALGRIND=... -DVALGRIND_ARGS=... -DPROGRAM=... -DGROUP=leak-... -P this_file
foreach(v VALGRIND VALGRIND_ARGS PROGRAM GROUP)
    if(NOT DEFINED ${v})
        message(FATAL_ERROR "expect_ct_failure: ${v} not set")
    endif()
endforeach()
execute_process(COMMAND ${VALGRIND} ${VALGRIND_ARGS} ${PROGRAM} ${GROUP}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
message("${err}")
if(NOT rc STREQUAL "99")
    message(FATAL_ERROR "expected valgrind to exit 99 (memcheck errors), got '${rc}'")
endif()
set(report "(Conditional jump or move depends on|Use of) uninitialised value")
if(NOT err MATCHES "${report}")
    message(FATAL_ERROR "valgrind exited 99 without a secret-dependence report")
endif()
if(NOT out MATCHES "ct-selftest: memcheck flagged")
    message(FATAL_ERROR "the program did not confirm the leak was counted")
endif()
message("ok: memcheck flagged the deliberately variable-time code (${GROUP})")
