"""gunicorn's settings for prepay-admin (read from the project root); options on the command line win."""
import gunicorn

# no version banner in the Server header
gunicorn.SERVER = "prepay-admin"
