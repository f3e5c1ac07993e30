#include <criterion/criterion.h>
Test(profile, placeholder) {}
