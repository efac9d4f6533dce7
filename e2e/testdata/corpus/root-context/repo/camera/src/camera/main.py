from plant_common.env import settings

print("camera", settings())
