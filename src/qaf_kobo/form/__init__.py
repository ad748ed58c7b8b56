"""The form: its field contract, the XLSForm built from a framework, the build (pyxform, ODK Validate), and
the structure of a built XForm."""
