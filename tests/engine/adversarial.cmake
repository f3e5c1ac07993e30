bvc_add_suite(adversarial SOURCES test_adversarial.c ${CMAKE_CURRENT_SOURCE_DIR}/adversarial.c ${CMAKE_SOURCE_DIR}/tests/common/kernel_oracle.c LIBS bvc_verifier)
