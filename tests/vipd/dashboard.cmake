# vipd's dashboard in headless Chromium (Debian: chromium), against vipd serving the demo's
# database: the charts must draw vipd's overview, the alerts and the VIP list must be vipd's, a
# search must narrow the list and an unknown token must bring the token form up.
# The screenshot of the page is kept in the build directory: tests/vipd/dashboard.png.
# Included from tools/CMakeLists.txt, where the vipd and vipctl targets are defined.
find_program(VIPCORE_CHROMIUM NAMES chromium chromium-browser)
find_program(VIPCORE_PYTHON3 NAMES python3)
if(TARGET vipcore_demo AND VIPCORE_CHROMIUM AND VIPCORE_PYTHON3)
  add_test(NAME "vipd: dashboard draws the demo's overview, alerts and VIP list in headless Chromium"
           COMMAND ${VIPCORE_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/vipd/test_dashboard.py
                   $<TARGET_FILE:vipd> $<TARGET_FILE:vipctl> $<TARGET_FILE:vipcore_demo>
                   --chromium ${VIPCORE_CHROMIUM}
                   --screenshot ${PROJECT_BINARY_DIR}/tests/vipd/dashboard.png)
  set_tests_properties("vipd: dashboard draws the demo's overview, alerts and VIP list in headless Chromium"
                       PROPERTIES TIMEOUT 180)
elseif(TARGET vipcore_demo)
  message(STATUS "vipd's dashboard test is left out: it needs chromium and python3 (Debian: chromium)")
endif()
