// HubServer: placeholder until the module lands.
import ModelHub
