# Embeds a file in a C++ source as a byte array: cmake -DIN=... -DOUT=... -DNAME=... -P embed.cmake
file(READ "${IN}" content HEX)
string(LENGTH "${content}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUT}" "// Generated from ${IN} by embed.cmake; do not edit.\n#include <cstddef>\n"
                    "extern const unsigned char ${NAME}[];\nextern const std::size_t ${NAME}Size;\n"
                    "const unsigned char ${NAME}[] = {${bytes} 0};\nconst std::size_t ${NAME}Size = ${size};\n")
